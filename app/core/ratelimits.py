"""What rate limits count by: the account when there is one, else the client's address."""

from flask import request
from flask_login import current_user


def account_key() -> str:
    """One allowance per account, shared by its sessions and tokens; anonymous clients per
    address."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"address:{request.remote_addr}"
