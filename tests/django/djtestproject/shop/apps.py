from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "djtestproject.shop"
    label = "shop"
