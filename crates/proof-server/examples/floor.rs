//! The floor for the load scripts: a minimal axum server (the same hyper, hyper-util and
//! tokio as `proof serve`, default settings, `TCP_NODELAY` as the service sets it) that
//! answers every `GET /` with a fixed JSON body and does nothing else. What it reaches on a machine is what any handler of this
//! stack can reach there; `scripts/load.sh` reads every other row against it.
//!
//! `cargo run --profile dist -p proof-server --example floor -- 127.0.0.1:19999`

use axum::Router;
use axum::http::header;
use axum::routing::get;
use axum::serve::ListenerExt as _;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:19999".to_owned());
    let app = Router::new().route(
        "/",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/json")],
                "{\"status\":\"ok\"}",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("floor listening on {addr}");
    axum::serve(listener, app).await
}
