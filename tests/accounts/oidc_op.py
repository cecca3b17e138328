"""The test OpenID Connect provider (django-oidc-provider): its user claims and its setup."""

from __future__ import annotations

# The address the provider vouches for, per provider account. The provider's accounts live in
# the same database as the app's but are other users (with no e-mail of their own), so the
# app never confuses the two.
CLAIMED_EMAILS: dict[str, str] = {}


def userinfo(claims, user):
    """Standard claims for the `profile` and `email` scopes."""
    claims["name"] = user.get_full_name()
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    claims["preferred_username"] = user.username
    claims["email"] = CLAIMED_EMAILS.get(user.username, "")
    claims["email_verified"] = True
    return claims


def make_provider(*, client_id: str = "supportdesk-test", secret: str = "op-secret", redirect_uri):
    """A signing key and a confidential client allowed to redirect to `redirect_uri`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from oidc_provider.models import Client, ResponseType, RSAKey

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    RSAKey.objects.create(key=pem)
    client = Client.objects.create(
        name="supportdesk",
        client_type="confidential",
        client_id=client_id,
        client_secret=secret,
        redirect_uris=[redirect_uri],
        require_consent=False,
        jwt_alg="RS256",
    )
    client.response_types.add(ResponseType.objects.get_or_create(value="code")[0])
    return client
