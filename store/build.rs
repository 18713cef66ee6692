//! The migrations are embedded in the binary when it is compiled (`sqlx::migrate!`): a migration added or
//! changed compiles it again.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
