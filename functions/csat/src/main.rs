//! Lambda entry point of the csat function: see `portal::web::csat`.

portal::http_lambda_main!(portal::web::csat::handle, portal::aws_init::Needs::CSAT);
