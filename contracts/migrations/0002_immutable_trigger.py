"""The database refuses to change or delete an issued purchase order, whatever the code path (PostgreSQL).

A TRUNCATE (the test runner's flush) is not a row change and still empties the table.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION contracts_purchase_order_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'purchase order % is issued and immutable: issue an amendment', OLD.number
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER contracts_purchase_order_immutable
    BEFORE UPDATE OR DELETE ON contracts_purchaseorder
    FOR EACH ROW EXECUTE FUNCTION contracts_purchase_order_immutable();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS contracts_purchase_order_immutable ON contracts_purchaseorder;
DROP FUNCTION IF EXISTS contracts_purchase_order_immutable();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
