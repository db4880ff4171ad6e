"""The twelve reference models of the Fortress ensemble."""

from __future__ import annotations

from fortress.catalog.fields import (
    ACCOUNT_PAIR_FIELDS,
    ACCOUNT_PROFILE_FIELDS,
    HOST_ACTIVITY_FIELDS,
    IMAGE_SHAPE,
    LOGIN_EVENT_FIELDS,
    NSL_KDD_FIELDS,
    NSL_KDD_SYMBOLIC,
    PE_HEADER_FIELDS,
    SOURCE_TYPE_FIELDS,
    USER_ACTIVITY_FIELDS,
)
from fortress.catalog.spec import Family, FieldKind, FieldSpec, ModelSpec

N, C, T = FieldKind.NUMBER, FieldKind.CATEGORY, FieldKind.TEXT


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
            fields=(
                *_numeric(ACCOUNT_PROFILE_FIELDS),
                *_numeric(SOURCE_TYPE_FIELDS),
                FieldSpec("follower_band", C),
            ),
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
            fields=(FieldSpec("text", T, description="the message body", sensitive=True),),
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
            fields=(FieldSpec("text", T, description="the message body", sensitive=True),),
            labels=("ham", "scam"),
            malicious_labels=frozenset({"scam"}),
            family=Family.TEXT,
            data="spamassassin",
        ),
    )
