"""Auditor endpoints of the chain (``/api/v1/chain/``)."""

from django.urls import path



app_name = "chain"
urlpatterns = [


]
