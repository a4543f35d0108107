use urna_service::demo::{self, DEMO_COMUNI};
use urna_wire::build::{self, Testata};
use urna_wire::Element;

pub fn now() -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc().format(&f).unwrap()
}

pub fn t(id: &str, op: &str) -> Testata {
    Testata::new(id, "058091", op, &now())
}

pub fn section(n: &str) -> Element {
    let mut s = demo::section_tree(&DEMO_COMUNI[0], 1);
    s.children
        .iter_mut()
        .find(|c| c.name == "sezioneelettoralenum")
        .unwrap()
        .text = n.into();
    s
}

pub fn roma() -> Element {
    build::comune("ROMA", "058091", "RM")
}

pub fn create(id: &str, n: &str) -> String {
    build::richiesta5011(&t(id, "5011"), &section(n))
}
