//! The client's family calls against the simulator's family endpoints, over HTTP: each family's
//! create, then its status polled to the end through the client's parser. The simulator knows
//! the families only from Kie's documentation, so agreement here means the client speaks what
//! Kie documents — field names, casing, status encodings and result shapes.

use std::time::Duration;

use kie_client::families::{
    FamilyEndpoint, FamilyRecord, FamilyRequest, FamilyTaskState, ResultKind,
};
use kie_client::{ApiKey, KieClient, KieConfig};
use kie_sim::{KieSim, SimConfig, Timing};
use serde_json::{Map, Value, json};

const KEY: &str = "families-key";
const SCALE: u32 = 50;

async fn rig() -> (KieSim, KieClient) {
    let sim = KieSim::start(SimConfig {
        time_scale: f64::from(SCALE),
        timing: Timing {
            jitter: 0.0,
            ..Timing::default()
        },
        ..SimConfig::new(KEY)
    })
    .await
    .expect("the simulator starts");
    let config = KieConfig::new(ApiKey::new(KEY.to_string()))
        .with_base(sim.base_url())
        .with_time_scale(SCALE);
    let client = KieClient::new(config).expect("the client");
    (sim, client)
}

fn body(value: Value) -> Map<String, Value> {
    value.as_object().expect("an object").clone()
}

/// Creates the task, then polls it until it ends (the simulator runs 50× faster; a poll waits
/// for the task's next change of state, at most 10 s of real time in all).
async fn run(client: &KieClient, endpoint: FamilyEndpoint, fields: Value) -> FamilyRecord {
    let callback = url::Url::parse("http://127.0.0.1:9/unused").expect("a url");
    let request = FamilyRequest::new(endpoint, body(fields))
        .with_callback(&callback)
        .validated()
        .unwrap_or_else(|e| panic!("{endpoint:?}: our own check refuses the request: {e}"));
    let created = client
        .create_family_task(&request)
        .await
        .unwrap_or_else(|e| panic!("{endpoint:?}: the simulator refused the create: {e}"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let record = client
            .family_record(endpoint.status(), &created.task_id)
            .await
            .unwrap_or_else(|e| panic!("{endpoint:?}: status failed: {e}"));
        if record.state.is_terminal() {
            return record;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{endpoint:?} never ended: {record:?}"
        );
        // Polling, as the pipeline does between status calls (not ordering events).
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn every_family_creates_and_ends_with_its_documented_results() {
    let (_sim, client) = rig().await;
    let cases = [
        (
            FamilyEndpoint::VeoGenerate,
            json!({"prompt": "a lighthouse at dusk", "model": "veo3_fast"}),
            ResultKind::Video,
            1,
        ),
        (
            FamilyEndpoint::SunoGenerate,
            json!({"prompt": "a calm song about the sea", "customMode": false,
                   "instrumental": false, "model": "V4_5"}),
            ResultKind::Audio,
            2,
        ),
        (
            FamilyEndpoint::RunwayGenerate,
            json!({"prompt": "waves at night", "duration": 5, "quality": "720p",
                   "aspectRatio": "16:9"}),
            ResultKind::Video,
            1,
        ),
        (
            FamilyEndpoint::FluxKontextGenerate,
            json!({"prompt": "a red fox", "model": "flux-kontext-pro"}),
            ResultKind::Image,
            1,
        ),
        (
            FamilyEndpoint::Gpt4oImageGenerate,
            json!({"prompt": "a teapot", "size": "1:1"}),
            ResultKind::Image,
            1,
        ),
        (
            FamilyEndpoint::MjGenerate,
            json!({"taskType": "mj_txt2img", "prompt": "a castle", "speed": "fast"}),
            ResultKind::Image,
            4,
        ),
    ];
    for (endpoint, fields, kind, count) in cases {
        let record = run(&client, endpoint, fields).await;
        assert_eq!(
            record.state,
            FamilyTaskState::Succeeded,
            "{endpoint:?}: {record:?}"
        );
        let files = record.results.of_kind(&kind).count();
        assert_eq!(
            files, count,
            "{endpoint:?}: {count} {kind:?} result(s), got {record:?}"
        );
    }
}

#[tokio::test]
async fn a_scripted_failure_comes_back_as_the_familys_failure() {
    let (sim, client) = rig().await;
    sim.script(kie_sim::Outcome::Fail {
        code: "501".into(),
        msg: "generation failed".into(),
    });
    let fields = json!({"prompt": "a storm", "model": "veo3_fast"});
    let record = run(&client, FamilyEndpoint::VeoGenerate, fields).await;
    assert!(
        matches!(record.state, FamilyTaskState::Failed { .. }),
        "Veo's failure is read as a failure: {record:?}"
    );
}
