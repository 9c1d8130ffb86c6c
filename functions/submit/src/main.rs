//! Lambda entry point of the submit function: see `portal::web::submit`.

portal::http_lambda_main!(portal::web::submit::handle, portal::entry::lambda::Needs::SUBMIT);
