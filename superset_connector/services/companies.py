"""Which companies a guest token covers: what the request asks, narrowed to what the
user is allowed — never widened, never trusted."""

ACTIVE, ALLOWED = "active", "allowed"


def parse_company_ids(raw):
    """Company ids from a context list or the web client's `cids` cookie ("1-2");
    anything that is not a positive integer is dropped."""
    if raw is None or raw is False:
        return []
    items = raw.replace(",", "-").split("-") if isinstance(raw, str) else raw
    if isinstance(items, int):
        items = [items]
    ids = []
    for item in items:
        try:
            value = int(item)
        except (TypeError, ValueError):
            continue
        if value > 0 and value not in ids:
            ids.append(value)
    return ids


def token_companies(requested, allowed, default, policy=ACTIVE):
    """Sorted company ids for the token; empty means: refuse.

    policy "active": the requested (active) companies the user is allowed on; when the
    request names none, the user's default company. policy "allowed": every company the
    user is allowed on.
    """
    allowed = set(allowed)
    if policy == ALLOWED:
        return sorted(allowed)
    requested = parse_company_ids(requested)
    if not requested:
        requested = [default] if default else []
    return sorted(set(requested) & allowed)
