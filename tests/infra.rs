//! The SAM template stays in step with the code: every function under `functions/` is deployed, every
//! deployed function exists, every route of the router is an HTTP API event of the function that
//! serves it, and no policy grants a wildcard. (The full template checks come with the AWS issue.)

use shared::routes::{FUNCTIONS, ROUTES};

/// Functions run by a schedule rather than an HTTP route.
const SCHEDULED: &[&str] = &["fold-stats", "match"];

#[test]
fn the_matching_run_is_scheduled_with_retries_and_a_dead_letter_queue() {
    let t = template();
    let (_, block) = function_blocks(&t).into_iter().find(|(b, _)| b == "match").expect("the match function is deployed");
    assert!(block.contains("Type: Schedule"), "{block}");
    assert!(block.contains("MaximumRetryAttempts") && block.contains("DeadLetterConfig"), "{block}");
}

fn template() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/infra/template.yaml")).unwrap()
}

/// The template's function blocks: (binary name, block text). A block starts at a line indented by
/// exactly two spaces (a resource's logical id) and runs to the next.
fn function_blocks(t: &str) -> Vec<(String, String)> {
    let mut blocks: Vec<String> = Vec::new();
    for line in t.lines() {
        let top = line.len() > 2 && line.starts_with("  ") && line.as_bytes()[2].is_ascii_alphabetic();
        if top || line.chars().next().is_some_and(|c| !c.is_whitespace()) {
            blocks.push(String::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    blocks
        .into_iter()
        .filter(|b| b.contains("Type: AWS::Serverless::Function"))
        .map(|b| {
            let binary = b.lines().find_map(|l| l.trim().strip_prefix("Binary: ")).expect("every function names its binary").to_owned();
            (binary, b)
        })
        .collect()
}

#[test]
fn every_function_is_deployed_and_every_deployed_function_exists() {
    let t = template();
    let deployed: Vec<String> = function_blocks(&t).into_iter().map(|(b, _)| b).collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("functions");
    let mut packages: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    packages.sort();
    let mut sorted = deployed.clone();
    sorted.sort();
    assert_eq!(sorted, packages, "functions/ and infra/template.yaml disagree");
    // HTTP functions are in the router; the scheduled ones are not.
    let mut named: Vec<&str> = FUNCTIONS.iter().map(|f| f.name()).chain(SCHEDULED.iter().copied()).collect();
    named.sort();
    assert_eq!(named, packages.iter().map(String::as_str).collect::<Vec<_>>(), "the router's function list disagrees with functions/");
}

#[test]
fn every_route_is_an_event_of_the_function_that_serves_it() {
    let t = template();
    let blocks = function_blocks(&t);
    for r in ROUTES {
        let (_, block) = blocks.iter().find(|(b, _)| b == r.function.name()).unwrap();
        let quoted = format!("Method: {}, Path: \"{}\"", r.method, r.path);
        let plain = format!("Method: {}, Path: {}", r.method, r.path);
        assert!(block.contains(&quoted) || block.contains(&plain), "{} {} is not an event of {}", r.method, r.path, r.function.name());
    }
    let events = t.matches("Type: HttpApi").count();
    assert_eq!(events, ROUTES.len(), "the template has routes the router does not serve");
}

#[test]
fn no_policy_grants_a_wildcard() {
    for (binary, block) in function_blocks(&template()) {
        for line in block.lines().filter(|l| l.contains("Action:") || l.contains("Resource:")) {
            assert!(!line.contains('*'), "{binary}: {line}");
        }
    }
}

/// Each route throttled on its own is a route the router serves (a stage naming an unknown route key
/// fails to deploy), and the functions that write on a crisis day have a reserved concurrency.
#[test]
fn per_route_throttling_names_real_routes_and_the_busy_writers_have_a_ceiling() {
    let t = template();
    let settings: Vec<&str> = t
        .lines()
        .skip_while(|l| l.trim() != "RouteSettings:")
        .skip(1)
        .take_while(|l| l.trim_start().starts_with('"') || l.trim_start().starts_with('#'))
        .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
        .collect();
    assert!(settings.len() >= 5, "the write and search routes are throttled on their own: {settings:?}");
    for key in &settings {
        let (method, path) = key.split_once(' ').unwrap();
        assert!(ROUTES.iter().any(|r| r.method == method && r.path == path), "{key} is not a route of the router");
        let event = |p: &str| t.contains(&format!("Method: {method}, Path: {p} }}"));
        assert!(event(path) || event(&format!("\"{path}\"")), "{key} is no function's event");
    }
    for binary in ["post-offer", "post-request", "match"] {
        let (_, block) = function_blocks(&t).into_iter().find(|(b, _)| b == binary).unwrap();
        assert!(block.contains("ReservedConcurrentExecutions:"), "{binary} has no ceiling:\n{block}");
    }
}

/// The blocks of the template's `AWS::CloudWatch::Alarm` resources: (logical id, block text).
fn alarm_blocks(t: &str) -> Vec<(String, String)> {
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in t.lines() {
        let top = line.len() > 2 && line.starts_with("  ") && line.as_bytes()[2].is_ascii_alphabetic();
        if top || line.chars().next().is_some_and(|c| !c.is_whitespace()) {
            blocks.push((line.trim().trim_end_matches(':').to_owned(), String::new()));
        }
        if let Some((_, b)) = blocks.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    blocks.into_iter().filter(|(_, b)| b.contains("Type: AWS::CloudWatch::Alarm")).collect()
}

/// Every function's errors raise an alarm, and no alarm references more metrics than CloudWatch allows
/// (10 in a metric math alarm: a hard limit, and the stack fails to deploy beyond it).
#[test]
fn every_function_has_an_error_alarm_within_cloudwatch_limits() {
    let t = template();
    let alarms = alarm_blocks(&t);
    let mut watched: Vec<String> = Vec::new();
    for (id, block) in &alarms {
        let metrics = block.matches("MetricStat:").count();
        assert!(metrics <= 10, "{id} references {metrics} metrics; a metric math alarm takes at most 10");
        for line in block.lines().filter(|l| l.contains("Name: FunctionName")) {
            let logical = line.split("!Ref ").nth(1).and_then(|r| r.split_whitespace().next()).expect("a function reference");
            watched.push(logical.to_owned());
        }
    }
    // Logical ids of the functions, from their blocks' first line.
    let mut functions: Vec<String> = t
        .lines()
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[1].trim() == "Type: AWS::Serverless::Function")
        .map(|w| w[0].trim().trim_end_matches(':').to_owned())
        .collect();
    functions.sort();
    watched.sort();
    assert_eq!(watched, functions, "each function's errors in exactly one alarm");
}
