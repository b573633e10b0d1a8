//! The registry's family models name real kie-client endpoints: the format schema's list of
//! endpoints is kie-client's `FamilyEndpoint::ALL`, and every family model's endpoint parses
//! and belongs to the family its `api` names. (The catalog may not depend on kie-client, so
//! this check lives here, where both are visible.)

use kie_client::families::FamilyEndpoint;

use crate::support::catalog;

#[test]
fn the_format_schemas_endpoints_are_the_clients() {
    let p =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry/model.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let listed: Vec<&str> = schema["properties"]["endpoint"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let client: Vec<&str> = FamilyEndpoint::ALL.iter().map(|e| e.path()).collect();
    assert_eq!(listed, client);
}

#[test]
fn every_family_model_names_an_endpoint_of_its_family_and_is_withheld() {
    let mut families = 0;
    for m in catalog().models() {
        let catalog::Api::Family { family, endpoint } = &m.api else {
            continue;
        };
        families += 1;
        let e = FamilyEndpoint::from_path(endpoint)
            .unwrap_or_else(|| panic!("{}: {endpoint} is not a kie-client endpoint", m.id));
        assert_eq!(e.family().as_str(), family, "{}", m.id);
        assert!(!m.enabled, "{}: family models are not sold yet", m.id);
    }
    assert!(families >= 8, "{families}");
}
