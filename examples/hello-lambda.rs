//! The smallest HTTP Lambda in Rust, built with the same profile as the functions: the baseline the
//! cold-start benchmark (`benches/cold_start.rs`) compares each function with.

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_req: Request| async {
        Ok::<_, Error>(
            Response::builder().status(200).header("content-type", "application/json").body(Body::from("{\"hello\":\"world\"}"))?,
        )
    }))
    .await
}
