"""The business registry (äriregister): companies, boards, capital, reports, liquidation."""
