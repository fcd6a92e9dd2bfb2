"""The ticket page's fingerprint as a PostgreSQL function (tickets/selectors.py: ticket_page_version).

PL/pgSQL keeps the plans of its statements for the life of a connection: the nine subqueries are planned once,
not on every page view. The function reads whole rows, so a column added later is covered without changing it.
Other databases (the embedded SQLite of `make run`) get no function and draw the page every time."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION myhezo_ticket_page_fingerprint(
    page_ticket_id bigint, public_kinds text[], at timestamptz, with_partner_reads boolean
) RETURNS bytea LANGUAGE plpgsql STABLE AS $$
DECLARE
    document text;
BEGIN
    SELECT json_build_array(
        t,
        (SELECT json_build_array(c, p, r.name, l,
                                 (SELECT count(*) FROM contracts_contractline ls WHERE ls.serial = l.serial))
           FROM contracts_contract c
           JOIN contracts_serviceplan p ON p.id = c.plan_id
           LEFT JOIN contracts_company r ON r.id = c.reseller_id
           JOIN contracts_contractline l ON l.id = t.line_id
          WHERE c.id = t.contract_id),
        (SELECT json_agg(m ORDER BY m.id) FROM tickets_message m
          WHERE m.ticket_id = t.id AND m.kind = ANY(public_kinds)),
        (SELECT json_agg(a ORDER BY a.id) FROM tickets_attachment a JOIN tickets_message am ON am.id = a.message_id
          WHERE am.ticket_id = t.id AND am.kind = ANY(public_kinds)),
        (SELECT json_agg(json_build_array(k, k.state = 'running' AND coalesce(k.agreed_due_at, k.due_at) < at)
                         ORDER BY k.id)
           FROM sla_slaclock k WHERE k.ticket_id = t.id),
        (SELECT json_agg(json_build_array(x, x.return_due_at < at) ORDER BY x.id)
           FROM operations_replacement x WHERE x.ticket_id = t.id),
        (SELECT json_agg(cc ORDER BY cc.id) FROM tickets_ticketcc cc WHERE cc.ticket_id = t.id),
        CASE WHEN with_partner_reads THEN
          (SELECT json_agg(json_build_array(pr, u.first_name, u.last_name, u.email, uc.name) ORDER BY pr.id)
             FROM tickets_partnerreadlog pr
             JOIN accounts_user u ON u.id = pr.user_id
             LEFT JOIN contracts_company uc ON uc.id = u.company_id
            WHERE pr.ticket_id = t.id)
        END
    )::text
    INTO document
    FROM tickets_ticket t
    WHERE t.id = page_ticket_id;
    RETURN sha256(convert_to(document, 'UTF8'));
END
$$;
"""

DROP = "DROP FUNCTION IF EXISTS myhezo_ticket_page_fingerprint(bigint, text[], timestamptz, boolean);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_company_open_index"),
        ("sla", "0002_unalerted_agreed_index"),
        ("operations", "0002_seed_plan_allowances"),
        ("accounts", "0004_auth_event_account_deleted"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
