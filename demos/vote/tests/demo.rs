//! Runs the demo with 12 voters (the CI-sized run): the published result must equal the
//! intended distribution and the audit must pass.

use weft_demo_vote::{distribution, run, Options};

#[actix_web::test]
async fn the_demo_publishes_the_intended_result_and_passes_the_audit() {
    let mut opts = Options::for_voters(12);
    opts.setup_secs = 25;
    opts.window_secs = 25;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, _network) = run(&opts, &dir.path().join("net"), false).await.unwrap();
    assert_eq!(outcome.expected, distribution(12));
    assert_eq!(outcome.expected, vec![4, 3, 2, 3]);
    assert_eq!(outcome.published, outcome.expected);
    assert_eq!(outcome.combined, vec![1, 3], "counter 2 was offline");
    assert!(outcome.audit_passed);
}
