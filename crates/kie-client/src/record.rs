//! A Market task record as `recordInfo` and the callback report it, parsed: the JSON strings
//! `param` and `resultJson` decoded, `failCode` kept as the string Kie sends, millisecond times
//! turned into timestamps, and the optional, inconsistently named fields tolerated. Must never
//! decide what a record means for money — that is the pipeline's business.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use url::Url;

/// A Market task's state. Unknown spellings are kept and treated as still running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Accepted, not yet queued.
    Waiting,
    /// In Kie's queue.
    Queuing,
    /// Running.
    Generating,
    /// Finished with a result.
    Success,
    /// Finished without one.
    Fail,
    /// A state Kie's docs do not list (never terminal).
    Other(String),
}

impl TaskState {
    fn parse(s: &str) -> TaskState {
        match s {
            "waiting" => TaskState::Waiting,
            "queuing" => TaskState::Queuing,
            "generating" => TaskState::Generating,
            "success" => TaskState::Success,
            "fail" => TaskState::Fail,
            other => TaskState::Other(other.to_string()),
        }
    }

    /// `success` or `fail`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, TaskState::Success | TaskState::Fail)
    }
}

/// What a successful task produced.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskOutput {
    /// Media files (images, video, audio), in order.
    Urls(Vec<Url>),
    /// A structured result (speech to text): `resultObject`.
    Object(Value),
}

/// One task as Kie reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskRecord {
    /// Kie's task id (opaque).
    pub task_id: String,
    /// The model id.
    pub model: Option<String>,
    /// The state.
    pub state: TaskState,
    /// The original create body (`param`, decoded), when present.
    pub param: Option<Value>,
    /// The result, on success.
    pub output: Option<TaskOutput>,
    /// Kie's failure code (a string such as "422"), on failure.
    pub fail_code: Option<String>,
    /// Kie's failure message, on failure.
    pub fail_msg: Option<String>,
    /// Credits Kie charged, when it says.
    pub credits_consumed: Option<Decimal>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Finished.
    pub completed_at: Option<DateTime<Utc>>,
}

impl TaskRecord {
    /// The `callBackUrl` this task was created with (from `param`), if any.
    pub fn callback_url(&self) -> Option<&str> {
        self.param.as_ref()?.get("callBackUrl")?.as_str()
    }

    /// Reads the `data` object of a recordInfo answer or a callback.
    pub(crate) fn from_data(data: &Map<String, Value>) -> Result<TaskRecord, String> {
        let task_id = data
            .get("taskId")
            .or_else(|| data.get("task_id"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or("no taskId")?
            .to_string();
        let state = TaskState::parse(
            data.get("state")
                .and_then(Value::as_str)
                .ok_or("no state")?,
        );
        let param = match data.get("param") {
            Some(Value::String(s)) if !s.is_empty() => {
                Some(serde_json::from_str(s).map_err(|e| format!("param is not JSON: {e}"))?)
            }
            Some(Value::Object(o)) => Some(Value::Object(o.clone())),
            _ => None,
        };
        let output = if state == TaskState::Success {
            Some(parse_result(data.get("resultJson"))?)
        } else {
            None
        };
        let text = |k: &str| {
            data.get(k)
                .and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|s| !s.is_empty())
        };
        let credits = ["creditsConsumed", "consumeCredits"]
            .iter()
            .find_map(|k| data.get(*k))
            .and_then(decimal);
        Ok(TaskRecord {
            task_id,
            model: text("model"),
            state,
            param,
            output,
            fail_code: text("failCode"),
            fail_msg: text("failMsg"),
            credits_consumed: credits,
            created_at: data.get("createTime").and_then(millis),
            completed_at: data.get("completeTime").and_then(millis),
        })
    }
}

fn parse_result(raw: Option<&Value>) -> Result<TaskOutput, String> {
    let parsed: Value = match raw {
        Some(Value::String(s)) if !s.is_empty() => {
            serde_json::from_str(s).map_err(|e| format!("resultJson is not JSON: {e}"))?
        }
        Some(Value::Object(o)) => Value::Object(o.clone()),
        _ => return Err("success without resultJson".into()),
    };
    if let Some(urls) = parsed.get("resultUrls").and_then(Value::as_array) {
        let urls = urls
            .iter()
            .map(|u| {
                u.as_str()
                    .and_then(|s| Url::parse(s).ok())
                    .ok_or_else(|| format!("bad result URL {u}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if urls.is_empty() {
            return Err("success with no result URLs".into());
        }
        return Ok(TaskOutput::Urls(urls));
    }
    if let Some(obj) = parsed.get("resultObject") {
        return Ok(TaskOutput::Object(obj.clone()));
    }
    Err("resultJson has neither resultUrls nor resultObject".into())
}

fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn millis(v: &Value) -> Option<DateTime<Utc>> {
    let ms = match v {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Utc.timestamp_millis_opt(ms).single()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_documented_example() {
        let data = json!({
          "taskId":"task_12345678","model":"grok-imagine/text-to-image","state":"success",
          "param":"{\"model\":\"grok-imagine/text-to-image\",\"callBackUrl\":\"https://x/cb\",\"input\":{\"prompt\":\"...\"}}",
          "resultJson":"{\"resultUrls\":[\"https://tempfile.aiquickdraw.com/p/abc_1.jpg\"]}",
          "failCode":"","failMsg":"","costTime":15000,
          "completeTime":1698765432000i64,"createTime":1698765400000i64,"updateTime":1698765432000i64});
        let r = TaskRecord::from_data(data.as_object().unwrap()).unwrap();
        assert_eq!(r.state, TaskState::Success);
        assert_eq!(r.callback_url(), Some("https://x/cb"));
        assert_eq!(r.fail_code, None);
        assert!(matches!(r.output, Some(TaskOutput::Urls(ref u)) if u.len() == 1));
        assert_eq!(r.completed_at.unwrap().timestamp_millis(), 1698765432000);
    }

    #[test]
    fn reads_a_failure_and_tolerates_odd_fields() {
        let data = json!({"task_id":"t1","state":"fail","resultJson":"","failCode":"422",
            "failMsg":"Invalid prompt","consumeCredits":0});
        let r = TaskRecord::from_data(data.as_object().unwrap()).unwrap();
        assert_eq!(r.task_id, "t1");
        assert_eq!(r.fail_code.as_deref(), Some("422"));
        assert_eq!(r.credits_consumed, Some(Decimal::ZERO));
        assert!(r.output.is_none());
    }

    #[test]
    fn a_success_without_a_result_is_an_error() {
        let data = json!({"taskId":"t","state":"success","resultJson":""});
        assert!(TaskRecord::from_data(data.as_object().unwrap()).is_err());
        let data = json!({"taskId":"t","state":"thinking"});
        let r = TaskRecord::from_data(data.as_object().unwrap()).unwrap();
        assert!(!r.state.is_terminal());
    }
}
