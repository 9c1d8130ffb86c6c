//! Lambda entry point of the reply function: see `portal::web::reply`.

portal::http_lambda_main!(portal::web::reply::handle, portal::entry::lambda::Needs::REPLY);
