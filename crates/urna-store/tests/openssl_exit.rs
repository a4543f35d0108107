//! A PostgreSQL connection must not leave OpenSSL's exit-time cleanup
//! registered.
//!
//! libpq initialises OpenSSL (it negotiates TLS even with a local server)
//! without `OPENSSL_INIT_NO_ATEXIT`; when it came first, OpenSSL freed every
//! thread's state at exit while the threads of a stopping server freed their
//! own ("double free or corruption" after passing PostgreSQL tests, about one
//! run in twelve). `urna-store` initialises OpenSSL itself before connecting.
//! The check is deterministic: a child process registers an exit handler
//! before anything else, so it runs after any handler OpenSSL registers
//! later, and asks OpenSSL whether it has been cleaned up (after
//! `OPENSSL_cleanup`, `OPENSSL_init_crypto` answers 0). It can only fail
//! where libpq uses TLS (a server with `ssl = on`, as on the CI machine):
//! without the fix in `pg_establish` it fails there.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::process::Command;

use urna_store::testing::TestDb;

unsafe extern "C" {
    fn atexit(handler: extern "C" fn()) -> c_int;
    fn _exit(status: c_int) -> !;
}

#[link(name = "crypto")]
unsafe extern "C" {
    fn OPENSSL_init_crypto(opts: u64, settings: *const c_void) -> c_int;
}

const CHILD: &str = "URNA_OPENSSL_EXIT_CHILD_DB";
const CLEANED_UP: c_int = 3;

extern "C" fn after_every_later_handler() {
    // SAFETY: called once by `exit`, on the exiting thread; with no options
    // OPENSSL_init_crypto only reads its state (0 once cleaned up).
    unsafe {
        if OPENSSL_init_crypto(0, std::ptr::null()) == 0 {
            _exit(CLEANED_UP);
        }
    }
}

#[test]
fn a_postgresql_connection_leaves_no_openssl_exit_cleanup() {
    if let Ok(url) = std::env::var(CHILD) {
        // SAFETY: registering a plain function as an exit handler.
        assert_eq!(unsafe { atexit(after_every_later_handler) }, 0);
        let store = urna_store::Store::open(&url, 1).expect("PostgreSQL");
        drop(store);
        std::process::exit(0);
    }
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_postgresql_connection_leaves_no_openssl_exit_cleanup",
            "--test-threads",
            "1",
        ])
        .env(CHILD, &db.url)
        .status()
        .unwrap();
    assert!(
        status.code() != Some(CLEANED_UP),
        "OpenSSL's exit-time cleanup ran: something initialised OpenSSL before urna-store did"
    );
    assert!(status.success(), "the child failed: {status:?}");
}
