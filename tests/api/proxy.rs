//! Behind a reverse proxy: with `ETP_TRUSTED_PROXIES` naming it, the sign-in back-off counts each client by
//! the address the proxy forwards; without it, `X-Forwarded-For` is not believed and every request counts
//! against the connection's own address. Through the real binary.

use reqwest::StatusCode;
use serde_json::json;

use crate::cli::{Server, sqlite_url};

/// Fails a sign-in as a client the proxy says is at `client`; answers the status.
async fn fail_sign_in(server_base: &str, client: &str, n: usize) -> StatusCode {
    let body =
        json!({"email": format!("nobody-{n}@example.test"), "password": "not the password at all"});
    reqwest::Client::new()
        .post(format!("{server_base}/api/auth/login"))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

/// 60 failures for one client (more than the 50 a network has free), each for another email so that no
/// email's own back-off starts; answers what the next failure of that client and of another one get.
async fn after_a_burst(server: &Server) -> (StatusCode, StatusCode) {
    for n in 0..60 {
        let status = fail_sign_in(&server.base, "203.0.113.7", n).await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
    }
    (
        fail_sign_in(&server.base, "203.0.113.7", 1000).await,
        fail_sign_in(&server.base, "198.51.100.20", 1001).await,
    )
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_back_off_counts_each_forwarded_client_apart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &sqlite_url(dir.path()),
        None,
        None,
        &[("ETP_TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let (same, other) = after_a_burst(&server).await;
    assert_eq!(
        same,
        StatusCode::TOO_MANY_REQUESTS,
        "the busy client is held back"
    );
    assert_eq!(
        other,
        StatusCode::UNAUTHORIZED,
        "another client behind the same proxy is not"
    );
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_address_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &sqlite_url(dir.path()), None).await;
    let (same, other) = after_a_burst(&server).await;
    assert_eq!(same, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        other,
        StatusCode::TOO_MANY_REQUESTS,
        "all of it came from one connection's address, whatever the header said"
    );
}
