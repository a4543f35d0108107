//! Namespace URIs (docs/anpr-interface.md §Namespaces).

pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const M5: &str = "http://sogei.it/ANPR/5000mutazione";
pub const C3: &str = "http://sogei.it/ANPR/3000consultazione";
pub const CERT: &str = "http://sogei.it/ANPR/6001certificazione";
pub const C2: &str = "http://sogei.it/ANPR/2000cancellazione";
pub const I1: &str = "http://sogei.it/ANPR/1000iscrizione";
pub const A0: &str = "http://sogei.it/ANPR/A000aire";
pub const E4: &str = "http://sogei.it/ANPR/4000estrazione";
pub const T7: &str = "http://sogei.it/ANPR/7001scaricoTabelle";
pub const RISP: &str = "http://sogei.it/ANPR/rispostaComune";
pub const TD: &str = "http://sogei.it/ANPR/tipoDato";
pub const SUBENTRO_SEZIONI: &str = "http://sogei.it/ANPR/subentroSezioni";
pub const SUBENTRO_LISTE: &str = "http://sogei.it/ANPR/subentroListe";
/// Namespace of urna's own fault detail.
pub const URNA_FAULT: &str = "urn:urna:fault:1";
