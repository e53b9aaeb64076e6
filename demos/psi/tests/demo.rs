//! The demo, small enough for CI: 2,000 × 1,500 customers with 600 shared.

use std::time::Duration;

use weft_demo_psi::{run, DemoConfig};

#[actix_web::test]
async fn demo_finds_exactly_the_known_overlap_and_the_chain_shows_it() {
    let mut lines = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let (report, _network) = run(
        DemoConfig {
            bank: 2_000,
            insurer: 1_500,
            overlap: 600,
            timeout: Duration::from_secs(120),
        },
        &dir.path().join("net"),
        false,
        |l| lines.push(l.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(report.learnt, (600, 600));
    assert_eq!(report.record["status"], "completed");
    assert!(report.record["result_digest"].is_string());
    assert!(
        lines
            .iter()
            .any(|l| l.contains("exactly the 600 known shared")),
        "{lines:?}"
    );

    // An overlap larger than a list is refused before anything starts.
    let err = run(
        DemoConfig {
            bank: 10,
            insurer: 5,
            overlap: 6,
            timeout: Duration::from_secs(10),
        },
        &dir.path().join("refused"),
        false,
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("overlap"), "{err}");
}
