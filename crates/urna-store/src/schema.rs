//! Table definitions (kept by hand; both migrations must match them).

diesel::table! {
    comuni (id) {
        id -> BigInt,
        istat -> Text,
        cod_catastale -> Text,
        nome -> Text,
        altro_nome -> Nullable<Text>,
        sigla -> Text,
        valid_from -> Text,
        valid_to -> Text,
        stato -> Text,
    }
}

diesel::table! {
    constituencies (kind, comune_istat, value) {
        kind -> Text,
        comune_istat -> Text,
        value -> Text,
    }
}

diesel::table! {
    sections (comune_istat, numero) {
        comune_istat -> Text,
        numero -> Text,
        denominazione -> Text,
        payload -> Text,
        updated_at -> BigInt,
        last_operation -> BigInt,
    }
}

diesel::table! {
    electors (id_soggetto) {
        id_soggetto -> Text,
        comune_istat -> Text,
        sezione_numero -> Nullable<Text>,
    }
}

diesel::table! {
    operations (id) {
        id -> BigInt,
        comune_istat -> Text,
        id_operazione_comune -> Text,
        operation -> Text,
        station_cn -> Text,
        correlation_id -> Text,
        received_at -> BigInt,
        outcome -> Text,
        codes -> Text,
        request_digest -> Text,
    }
}

diesel::table! {
    idempotency (comune_istat, id_operazione_comune) {
        comune_istat -> Text,
        id_operazione_comune -> Text,
        operation -> Text,
        request_digest -> Text,
        operation_id -> BigInt,
        response -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    comuni,
    constituencies,
    sections,
    electors,
    operations,
    idempotency
);
