//! `template.yaml` and the code must describe the same stack: routes, tables,
//! keys and queue settings.

use std::collections::BTreeSet;
use std::path::PathBuf;

use portal::provision::{MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_SECS};
use portal::store::schema::{TableSpec, BY_CONTACT, PORTAL_TABLE, RATE_LIMIT_TABLE};
use portal::store::RESEND_AFTER_SECS;
use portal::web::routes::ROUTES;
use serde_yaml::Value;

fn template() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap())
        .expect("template.yaml is plain YAML (long-form intrinsics)")
}

fn resources(template: &Value) -> Vec<(String, Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v.clone()))
        .collect()
}

#[test]
fn http_api_routes_match_the_route_table() {
    let template = template();
    let mut in_template = BTreeSet::new();
    for (_, resource) in resources(&template) {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or("").to_owned();
        assert_eq!(resource["Metadata"]["BuildMethod"], "rust-cargolambda");
        let Some(events) = resource["Properties"]["Events"].as_mapping() else { continue };
        for (_, event) in events {
            if event["Type"] == "HttpApi" {
                let props = &event["Properties"];
                in_template.insert((
                    props["Method"].as_str().unwrap().to_owned(),
                    props["Path"].as_str().unwrap().to_owned(),
                    binary.clone(),
                ));
            }
        }
    }
    let served: BTreeSet<_> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned(), r.function.name().to_owned())).collect();
    let only_template: Vec<_> = in_template.difference(&served).collect();
    let only_local: Vec<_> = served.difference(&in_template).collect();
    assert!(
        only_template.is_empty() && only_local.is_empty(),
        "in template only: {only_template:?}; served locally only: {only_local:?}"
    );
}

#[test]
fn cors_is_left_to_the_function() {
    // API Gateway's CorsConfiguration would answer preflights itself and
    // override the per-workspace origins the submit function answers with.
    let template = template();
    let api = &template["Resources"]["PortalApi"];
    assert_eq!(api["Type"], "AWS::Serverless::HttpApi");
    assert!(api["Properties"]["CorsConfiguration"].is_null(), "PortalApi must not configure CORS");
    assert!(template["Globals"]["HttpApi"]["CorsConfiguration"].is_null());
    let preflight = ROUTES.iter().find(|r| r.method == "OPTIONS").expect("an OPTIONS route for the widget's preflight");
    assert_eq!((preflight.path, preflight.function.name()), ("/api/portal/{slug}/tickets", "submit"));
}

fn check_table(template: &Value, spec: &TableSpec) {
    let table = &template["Resources"][spec.logical_id];
    assert_eq!(table["Type"], "AWS::DynamoDB::Table", "{}", spec.logical_id);
    let props = &table["Properties"];
    assert_eq!(props["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(props["TimeToLiveSpecification"]["AttributeName"], spec.ttl_attribute);
    assert_eq!(props["TimeToLiveSpecification"]["Enabled"], true);
    let keys: Vec<(String, String)> = props["KeySchema"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| (k["AttributeName"].as_str().unwrap().to_owned(), k["KeyType"].as_str().unwrap().to_owned()))
        .collect();
    let mut expected = vec![(spec.partition_key.to_owned(), "HASH".to_owned())];
    if let Some(sort) = spec.sort_key {
        expected.push((sort.to_owned(), "RANGE".to_owned()));
    }
    assert_eq!(keys, expected, "{} key schema", spec.logical_id);
    let attributes: Vec<(String, String)> = props["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| (a["AttributeName"].as_str().unwrap().to_owned(), a["AttributeType"].as_str().unwrap().to_owned()))
        .collect();
    let expected_attributes: Vec<(String, String)> =
        spec.key_attributes().iter().map(|name| (name.to_string(), "S".to_owned())).collect();
    assert_eq!(attributes, expected_attributes, "{} attribute definitions", spec.logical_id);
    let indexes = props["GlobalSecondaryIndexes"].as_sequence().cloned().unwrap_or_default();
    assert_eq!(indexes.len(), spec.indexes.len(), "{} indexes", spec.logical_id);
    for (index, want) in indexes.iter().zip(spec.indexes) {
        assert_eq!(index["IndexName"], want.name);
        let keys: Vec<(&str, &str)> = index["KeySchema"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| (k["AttributeName"].as_str().unwrap(), k["KeyType"].as_str().unwrap()))
            .collect();
        assert_eq!(keys, [(want.partition_key, "HASH"), (want.sort_key, "RANGE")], "{} keys", want.name);
        assert_eq!(index["Projection"]["ProjectionType"], "INCLUDE", "{}", want.name);
        let projected: Vec<&str> = index["Projection"]["NonKeyAttributes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(projected, want.projected, "{} projection", want.name);
    }
}

/// Every function that reads the contact index may Query it (the table's
/// own grant does not reach an index).
#[test]
fn the_contact_index_is_granted_to_its_readers() {
    let template = template();
    for function in ["TrackFunction", "AssignWorkerFunction"] {
        let statements =
            template["Resources"][function]["Properties"]["Policies"][0]["Statement"].as_sequence().unwrap().clone();
        let granted = statements.iter().any(|statement| {
            let actions = statement["Action"].as_sequence().cloned().unwrap_or_default();
            actions.iter().any(|a| a == "dynamodb:Query")
                && statement["Resource"]["Fn::Sub"] == format!("${{PortalTable.Arn}}/index/{}", BY_CONTACT.name)
        });
        assert!(granted, "{function} cannot Query {}", BY_CONTACT.name);
    }
}

#[test]
fn tables_match_the_code() {
    let template = template();
    check_table(&template, &PORTAL_TABLE);
    check_table(&template, &RATE_LIMIT_TABLE);
}

#[test]
fn the_queue_has_a_dead_letter_queue_and_the_same_settings() {
    let template = template();
    let queue = &template["Resources"]["EventsQueue"]["Properties"];
    assert_eq!(queue["VisibilityTimeout"].as_u64(), Some(u64::from(VISIBILITY_TIMEOUT_SECS)));
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(u64::from(MAX_RECEIVE_COUNT)));
    assert_eq!(queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0], "EventsDeadLetterQueue");
    let alarm = &template["Resources"]["DeadLetterAlarm"]["Properties"];
    assert_eq!(alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0], "EventsDeadLetterQueue");
}

#[test]
fn functions_run_on_provided_al2023() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Handler"], "bootstrap");
    for (name, resource) in resources(&template) {
        if resource["Type"] == "AWS::Serverless::Function" {
            let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
            let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../functions").join(binary);
            assert!(crate_dir.join("Cargo.toml").exists(), "{name}: functions/{binary} missing");
        }
    }
}

#[test]
fn every_function_gets_the_stack_s_own_generated_salt() {
    let template = template();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(globals["RATE_LIMIT_SALT"]["Fn::Sub"], "{{resolve:secretsmanager:${RateLimitSalt}:SecretString}}");
    assert_eq!(globals["REPLY_LIMIT_PER_HOUR"]["Ref"], "ReplyLimitPerHour");
    let secret = &template["Resources"]["RateLimitSalt"];
    assert_eq!(secret["Type"], "AWS::SecretsManager::Secret");
    let generated = &secret["Properties"]["GenerateSecretString"];
    let length = generated["PasswordLength"].as_u64().unwrap();
    assert!(length >= portal::domain::secrets::MIN_SALT_CHARS as u64, "{length}");
    assert_eq!(generated["ExcludePunctuation"], true, "letters and digits only: safe in an environment variable");
    assert!(secret["Properties"]["SecretString"].is_null(), "generated, never written in the template");
    for (name, resource) in resources(&template) {
        if resource["Type"] == "AWS::Serverless::Function" {
            let own = &resource["Properties"]["Environment"]["Variables"]["RATE_LIMIT_SALT"];
            assert!(own.is_null(), "{name} must not override the generated salt");
        }
    }
    for limit in ["SubmitLimitPerHour", "ReplyLimitPerHour"] {
        let parameter = &template["Parameters"][limit];
        assert_eq!(parameter["MaxValue"].as_u64(), Some(u64::from(portal::domain::limits::MAX_LIMIT)), "{limit}");
    }
}

/// A typed email is one TransactWriteItems (the miss registers and a
/// ConditionCheck on the ticket); IAM authorises each part as its own action.
#[test]
fn functions_that_verify_typed_emails_may_write_their_transaction() {
    let template = template();
    for function in ["TrackFunction", "ReplyFunction"] {
        let statements = &template["Resources"][function]["Properties"]["Policies"][0]["Statement"];
        let allowed = |table: &str, action: &str| {
            statements.as_sequence().unwrap().iter().any(|s| {
                s["Resource"]["Fn::GetAtt"][0] == table
                    && s["Action"].as_sequence().unwrap().iter().any(|a| a.as_str() == Some(action))
            })
        };
        assert!(allowed("PortalTable", "dynamodb:ConditionCheckItem"), "{function}");
        assert!(allowed("RateLimitTable", "dynamodb:UpdateItem"), "{function}");
    }
}

#[test]
fn the_worker_is_sized_as_the_code_and_docs_say() {
    let template = template();
    let worker = &template["Resources"]["AssignWorkerFunction"]["Properties"];
    let timeout = worker["Timeout"].as_u64().expect("the worker's own timeout");
    assert_eq!(timeout, portal::entry::worker::TIMEOUT_SECS);
    assert!(u64::from(VISIBILITY_TIMEOUT_SECS) >= 6 * timeout, "Lambda: visibility at least six times the timeout");
    assert!(portal::entry::worker::DEADLINE_MARGIN.as_secs() < timeout);
    let source = &worker["Events"]["EventsQueue"]["Properties"];
    let batch = source["BatchSize"].as_u64().unwrap();
    assert!(batch <= 10 || source["MaximumBatchingWindowInSeconds"].as_u64() >= Some(1), "SQS: > 10 needs a window");
    assert!(source["ScalingConfig"]["MaximumConcurrency"].as_u64() >= Some(2), "SQS allows 2 at least");
    assert_eq!(source["FunctionResponseTypes"][0], "ReportBatchItemFailures");
}

#[test]
fn the_sweeper_runs_every_minute_as_the_outbox_expects() {
    let template = template();
    let sweeper = &template["Resources"]["OutboxSweeperFunction"];
    assert_eq!(sweeper["Metadata"]["BuildProperties"]["Binary"], "outbox-sweeper");
    let schedule = &sweeper["Properties"]["Events"]["EveryMinute"];
    assert_eq!(schedule["Type"], "Schedule");
    assert_eq!(schedule["Properties"]["Schedule"], "rate(1 minute)");
    assert_eq!(RESEND_AFTER_SECS, 60, "events are re-sent once their last send is a schedule period old");
    let log_group = &template["Resources"]["OutboxSweeperLogs"]["Properties"]["LogGroupName"]["Fn::Sub"];
    assert_eq!(log_group, "/aws/lambda/${OutboxSweeperFunction}");
}
