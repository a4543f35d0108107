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
    subjects (id_soggetto) {
        id_soggetto -> Text,
        codice_fiscale -> Text,
        cognome -> Text,
        nome -> Text,
        sesso -> Text,
        data_nascita -> Text,
        luogo_nascita -> Text,
        cittadinanza -> Text,
        comune_residenza -> Nullable<Text>,
        aire -> Integer,
        certificabile_anagrafe -> Nullable<Integer>,
        cancellato_anpr -> Integer,
    }
}

diesel::table! {
    electors (id_soggetto) {
        id_soggetto -> Text,
        elettore -> Nullable<Text>,
        gen_comune -> Nullable<Text>,
        gen_sezione -> Nullable<Text>,
        ue_com_comune -> Nullable<Text>,
        ue_com_sezione -> Nullable<Text>,
        ue_parl_comune -> Nullable<Text>,
        ue_parl_sezione -> Nullable<Text>,
        comreg_comune -> Nullable<Text>,
        comreg_sezione -> Nullable<Text>,
        certificabile -> Nullable<Integer>,
        first_load_comune -> Nullable<Text>,
        last_decorrenza -> Nullable<Text>,
        detail -> Text,
        last_operation -> BigInt,
        updated_at -> BigInt,
        flags_comune -> Nullable<Text>,
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
        operator -> Nullable<Text>,
        auth_mode -> Text,
        subject_key -> Nullable<Text>,
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
        request -> Nullable<Text>,
    }
}

diesel::table! {
    subentro_jobs (id) {
        id -> BigInt,
        comune_istat -> Text,
        kind -> Text,
        state -> Text,
        file_sha256 -> Text,
        declared -> Nullable<Integer>,
        records_done -> Integer,
        loaded -> Integer,
        anomalies -> Integer,
        started_at -> BigInt,
        finished_at -> Nullable<BigInt>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    subentro_anomalies (job_id, record_no, code) {
        job_id -> BigInt,
        record_no -> Integer,
        id_soggetto -> Nullable<Text>,
        code -> Text,
        field -> Nullable<Text>,
        value -> Nullable<Text>,
        text -> Text,
    }
}

diesel::table! {
    extraction_jobs (id) {
        id -> BigInt,
        comune_istat -> Text,
        criteria -> Text,
        state -> Integer,
        done -> BigInt,
        total -> Nullable<BigInt>,
        created_at -> BigInt,
        claimed_at -> Nullable<BigInt>,
        finished_at -> Nullable<BigInt>,
        file -> Nullable<Text>,
        error -> Nullable<Text>,
        file_bytes -> Nullable<BigInt>,
        file_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    double_registrations (id) {
        id -> BigInt,
        id_soggetto -> Text,
        holder_comune -> Text,
        claimant_comune -> Text,
        detected_at -> BigInt,
        source -> Text,
        closed_at -> Nullable<BigInt>,
        closed_reason -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        code -> Text,
        comune_istat -> Text,
        id_soggetto -> Text,
        other_comune -> Text,
        job_id -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    subentro_undo (id) {
        id -> BigInt,
        job_id -> BigInt,
        id_soggetto -> Text,
        before_image -> Text,
    }
}

diesel::table! {
    replay_cache (replay_key) {
        replay_key -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at_ms -> BigInt,
        operation -> Text,
        outcome -> Text,
        id_operazione_anpr -> Nullable<BigInt>,
        comune -> Nullable<Text>,
        station -> Text,
        operator -> Nullable<Text>,
        auth_mode -> Text,
        request_digest -> Text,
        response_digest -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    operators (comune_istat, codice_fiscale) {
        comune_istat -> Text,
        codice_fiscale -> Text,
        profiles -> Text,
    }
}

diesel::table! {
    certificates (id) {
        id -> Text,
        code -> Text,
        comune_istat -> Text,
        id_soggetto -> Text,
        tipo -> Integer,
        operation_id -> BigInt,
        issued_at -> BigInt,
        expires_at -> BigInt,
        languages -> Text,
        pdf -> Binary,
    }
}

diesel::table! {
    captchas (id) {
        id -> Text,
        certificate_id -> Text,
        answer -> Text,
        client -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        state -> Integer,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        tat -> BigInt,
    }
}

diesel::table! {
    alerts (id) {
        id -> BigInt,
        rule -> Text,
        severity -> Text,
        alert_key -> Text,
        seq -> BigInt,
        at_ms -> BigInt,
        entries -> Text,
        value -> BigInt,
        threshold -> BigInt,
        description -> Text,
        acked_at -> Nullable<BigInt>,
        acked_by -> Nullable<Text>,
    }
}

diesel::table! {
    alert_cursor (id) {
        id -> Integer,
        seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    blocks (kind, block_key) {
        kind -> Text,
        block_key -> Text,
        until_ms -> BigInt,
        rule -> Text,
        created_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    comuni,
    constituencies,
    sections,
    electors,
    subjects,
    operations,
    idempotency,
    subentro_jobs,
    subentro_anomalies,
    double_registrations,
    subentro_undo,
    replay_cache,
    audit_log,
    audit_head,
    rate_limits,
    operators,
    notifications,
    certificates,
    captchas
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    electors::gen_sezione,
    electors::ue_com_sezione,
    electors::ue_parl_sezione,
    subjects::sesso,
);
