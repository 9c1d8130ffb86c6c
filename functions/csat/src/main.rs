//! Lambda entry point of the csat function: see `portal::web::csat`.

portal::http_lambda_main!(portal::web::csat::handle, portal::entry::lambda::Needs::CSAT);
