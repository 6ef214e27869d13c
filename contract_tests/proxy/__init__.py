"""``hoko-contract proxy``: forward live traffic and judge every ``/api/links`` exchange."""
