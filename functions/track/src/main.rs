//! Lambda entry point of the track function: see `portal::web::track`.

portal::http_lambda_main!(portal::web::track::handle, portal::entry::lambda::Needs::TRACK);
