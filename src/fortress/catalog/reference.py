"""The twelve reference models of the Fortress ensemble."""

from __future__ import annotations

from fortress.catalog.spec import FieldKind, FieldSpec, Family, ModelSpec

N, C, T = FieldKind.NUMBER, FieldKind.CATEGORY, FieldKind.TEXT

# NSL-KDD's 41 fields, named as in nsl-kdd/field_names.csv (the three symbolic ones are strings).
NSL_KDD_FIELDS: tuple[str, ...] = (
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
    "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in", "num_compromised",
    "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count",
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
)  # fmt: skip
NSL_KDD_SYMBOLIC = frozenset({"protocol_type", "service", "flag"})

# Gilani et al. (Stweeler) aggregated account features, plus the follower band the file came from.
ACCOUNT_PROFILE_FIELDS: tuple[str, ...] = (
    "user_tweeted", "user_retweeted", "user_favourited", "user_replied", "likes_per_tweet",
    "retweets_per_tweet", "lists_per_user", "follower_friend_ratio", "tweet_frequency",
    "favourite_tweet_ratio", "age_of_account_in_days", "sources_count", "urls_count",
    "cdn_content_in_kb",
)  # fmt: skip

# CIC-IDS2017 flow statistics (snake_case of the CSV columns) describing one host's flow.
HOST_ACTIVITY_FIELDS: tuple[str, ...] = (
    "dst_port", "flow_duration", "total_fwd_packet", "total_bwd_packets",
    "total_length_of_fwd_packet", "total_length_of_bwd_packet", "fwd_packet_length_max",
    "fwd_packet_length_mean", "bwd_packet_length_max", "bwd_packet_length_mean", "flow_bytes_s",
    "flow_packets_s", "flow_iat_mean", "flow_iat_max", "fwd_iat_mean", "bwd_iat_mean",
    "fin_flag_count", "syn_flag_count", "rst_flag_count", "psh_flag_count", "ack_flag_count",
    "down_up_ratio", "average_packet_size", "fwd_init_win_bytes", "bwd_init_win_bytes",
    "active_mean", "idle_mean",
)  # fmt: skip

# ClaMP raw PE header fields (the two always-empty reserved fields e_res/e_res2 are left out).
PE_HEADER_FIELDS: tuple[str, ...] = (
    "e_magic", "e_cblp", "e_cp", "e_crlc", "e_cparhdr", "e_minalloc", "e_maxalloc", "e_ss",
    "e_sp", "e_csum", "e_ip", "e_cs", "e_lfarlc", "e_ovno", "e_oemid", "e_oeminfo", "e_lfanew",
    "Machine", "NumberOfSections", "CreationYear", "PointerToSymbolTable", "NumberOfSymbols",
    "SizeOfOptionalHeader", "Characteristics", "Magic", "MajorLinkerVersion",
    "MinorLinkerVersion", "SizeOfCode", "SizeOfInitializedData", "SizeOfUninitializedData",
    "AddressOfEntryPoint", "BaseOfCode", "BaseOfData", "ImageBase", "SectionAlignment",
    "FileAlignment", "MajorOperatingSystemVersion", "MinorOperatingSystemVersion",
    "MajorImageVersion", "MinorImageVersion", "MajorSubsystemVersion", "MinorSubsystemVersion",
    "SizeOfImage", "SizeOfHeaders", "CheckSum", "Subsystem", "DllCharacteristics",
    "SizeOfStackReserve", "SizeOfStackCommit", "SizeOfHeapReserve", "SizeOfHeapCommit",
    "LoaderFlags", "NumberOfRvaAndSizes",
)  # fmt: skip

ACCOUNT_PAIR_FIELDS: tuple[str, ...] = (
    "display_name_similarity", "username_similarity", "email_domain_match", "shared_ip_count",
    "device_fingerprint_overlap", "timezone_diff_hours", "activity_hour_correlation",
    "writing_style_similarity", "creation_gap_days", "mutual_contacts",
)  # fmt: skip

USER_ACTIVITY_FIELDS: tuple[str, ...] = (
    "sessions_per_day", "avg_session_minutes", "distinct_ips_7d", "distinct_devices_7d",
    "failed_action_ratio", "data_download_mb", "after_hours_ratio", "privileged_actions",
    "new_resource_ratio", "api_calls_per_hour",
)  # fmt: skip

LOGIN_EVENT_FIELDS: tuple[str, ...] = (
    "hour_of_day", "is_new_device", "is_new_country", "geo_distance_km",
    "hours_since_last_login", "failed_attempts_1h", "ip_reputation", "user_agent_changed",
    "mfa_used", "logins_last_24h",
)  # fmt: skip

IMAGE_SHAPE = (3, 32, 32)


def _numeric(names: tuple[str, ...], symbolic: frozenset[str] = frozenset()) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(n, C if n in symbolic else N) for n in names)


def reference_specs() -> tuple[ModelSpec, ...]:
    return (
        ModelSpec(
            name="threat_classifier",
            description="Classifies a network connection as normal or one of four attack categories.",
            feature_group="network_flow",
            fields=_numeric(NSL_KDD_FIELDS, NSL_KDD_SYMBOLIC),
            labels=("normal", "dos", "probe", "r2l", "u2r"),
            malicious_labels=frozenset({"dos", "probe", "r2l", "u2r"}),
            family=Family.GBDT,
            weight=1.5,
            data="nsl-kdd",
        ),
        ModelSpec(
            name="bot_detector",
            description="Tells automated (bot) social accounts from human ones.",
            feature_group="account_profile",
            fields=(*_numeric(ACCOUNT_PROFILE_FIELDS), FieldSpec("follower_band", C)),
            labels=("human", "bot"),
            malicious_labels=frozenset({"bot"}),
            family=Family.GBDT,
            data="twitter-bots",
        ),
        ModelSpec(
            name="identity_correlator",
            description="Scores whether two accounts belong to the same real-world entity.",
            feature_group="account_pair",
            fields=_numeric(ACCOUNT_PAIR_FIELDS),
            labels=("different", "same_entity"),
            malicious_labels=frozenset({"same_entity"}),
            family=Family.GBDT,
            weight=0.75,
        ),
        ModelSpec(
            name="behavior_analyzer",
            description="Scores how anomalous a user's recent activity is.",
            feature_group="user_activity",
            fields=_numeric(USER_ACTIVITY_FIELDS),
            labels=("normal", "anomalous"),
            malicious_labels=frozenset({"anomalous"}),
            family=Family.GBDT,
        ),
        ModelSpec(
            name="writing_style",
            description="Attributes a message to one of the known authors by writing style.",
            feature_group="message",
            fields=(FieldSpec("text", T),),
            labels=(),  # filled from the training data (one label per author); see catalog.load
            malicious_labels=frozenset(),
            family=Family.TEXT,
            weight=0.0,
            data="spamassassin",
        ),
        ModelSpec(
            name="image_analyzer",
            description="Detects images that spoof a known brand (phishing kits) among benign images.",
            feature_group="image",
            fields=(FieldSpec("pixels", FieldKind.TENSOR, IMAGE_SHAPE, "RGB in [0, 1], CHW"),),
            labels=("benign", "spoof_bank", "spoof_webmail", "spoof_payment"),
            malicious_labels=frozenset({"spoof_bank", "spoof_webmail", "spoof_payment"}),
            family=Family.CNN,
        ),
        ModelSpec(
            name="network_analyzer",
            description="Flags malicious flows from a host's traffic statistics.",
            feature_group="host_activity",
            fields=(*_numeric(HOST_ACTIVITY_FIELDS), FieldSpec("protocol", C)),
            labels=("benign", "malicious"),
            malicious_labels=frozenset({"malicious"}),
            family=Family.GBDT,
            data="cicids2017-sampled",
            fallback="threat_classifier",
        ),
        ModelSpec(
            name="phishing_url",
            description="Scores how likely a URL is a phishing page.",
            feature_group="url",
            fields=(FieldSpec("url", T),),
            labels=("benign", "phishing"),
            malicious_labels=frozenset({"phishing"}),
            family=Family.TEXT,
            weight=1.25,
            data="phishing-urls",
        ),
        ModelSpec(
            name="dga_detector",
            description="Detects algorithmically generated (malware DGA) domain names.",
            feature_group="domain",
            fields=(FieldSpec("domain", T),),
            labels=("benign", "dga"),
            malicious_labels=frozenset({"dga"}),
            family=Family.TEXT,
            data="dga",
        ),
        ModelSpec(
            name="malware_classifier",
            description="Classifies a Windows executable as malware from its PE header fields.",
            feature_group="pe_header",
            fields=_numeric(PE_HEADER_FIELDS),
            labels=("benign", "malware"),
            malicious_labels=frozenset({"malware"}),
            family=Family.GBDT,
            weight=1.25,
            data="clamp",
        ),
        ModelSpec(
            name="login_anomaly",
            description="Flags logins that look like an account takeover.",
            feature_group="login_event",
            fields=(*_numeric(LOGIN_EVENT_FIELDS), FieldSpec("auth_method", C)),
            labels=("legitimate", "takeover"),
            malicious_labels=frozenset({"takeover"}),
            family=Family.GBDT,
            fallback="behavior_analyzer",
        ),
        ModelSpec(
            name="message_scam",
            description="Scores whether a message (e-mail body) is a scam or spam.",
            feature_group="message",
            fields=(FieldSpec("text", T),),
            labels=("ham", "scam"),
            malicious_labels=frozenset({"scam"}),
            family=Family.TEXT,
            data="spamassassin",
        ),
    )
