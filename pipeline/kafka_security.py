"""`KafkaSecurity` settings -> the options of each Kafka client library narrmon uses.

One function per library, so every client gets the same authentication and encryption:

- `kafka_python_options`: kafka-python's `KafkaProducer`, `KafkaConsumer` and `KafkaAdminClient`
  (connector publisher, topic setup, dead-letter tools, demo housekeeping, the API's review
  publisher).
- `faust_options`: ``broker_credentials`` for `faust.App` (the worker; aiokafka underneath).

The results hold secrets in clear: never log them. Building an SSL context reads the CA and
client certificate files (raises `OSError`/`ssl.SSLError` naming the problem when they are bad).
"""

from __future__ import annotations

import ssl
from typing import Any

from pipeline.settings import KafkaSecurity


def _reveal(secret: Any) -> str | None:
    return None if secret is None else str(secret.get_secret_value())


def ssl_context(security: KafkaSecurity) -> ssl.SSLContext | None:
    """A client SSL context (CA, optional client certificate, hostname check), or None when the
    protocol does not use TLS."""
    if not security.uses_ssl:
        return None
    cafile = None if security.ssl_cafile is None else str(security.ssl_cafile)
    context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH, cafile=cafile)
    if security.ssl_certfile is not None and security.ssl_keyfile is not None:
        context.load_cert_chain(
            str(security.ssl_certfile),
            str(security.ssl_keyfile),
            password=_reveal(security.ssl_password),
        )
    context.check_hostname = security.ssl_check_hostname
    return context


def kafka_python_options(security: KafkaSecurity) -> dict[str, Any]:
    """Keyword arguments for any kafka-python client (pure)."""
    options: dict[str, Any] = {"security_protocol": security.security_protocol}
    if security.uses_ssl:
        options["ssl_check_hostname"] = security.ssl_check_hostname
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(security, name)
            if value is not None:
                options[name] = str(value)
        if security.ssl_password is not None:
            options["ssl_password"] = _reveal(security.ssl_password)
    if security.uses_sasl:
        options["sasl_mechanism"] = security.sasl_mechanism
        options["sasl_plain_username"] = security.sasl_username
        options["sasl_plain_password"] = _reveal(security.sasl_password)
    return options


def faust_options(security: KafkaSecurity) -> dict[str, Any]:
    """Keyword arguments for `faust.App`: ``broker_credentials`` (empty for PLAINTEXT)."""
    if security.security_protocol == "PLAINTEXT":
        return {}
    import faust

    context = ssl_context(security)
    if security.security_protocol == "SSL":
        return {"broker_credentials": faust.SSLCredentials(context=context)}
    return {
        "broker_credentials": faust.SASLCredentials(
            username=security.sasl_username,
            password=_reveal(security.sasl_password),
            mechanism=security.sasl_mechanism,
            ssl_context=context,
        )
    }
