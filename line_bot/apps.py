from django.apps import AppConfig


class LineBotConfig(AppConfig):
    name = "line_bot"
    verbose_name = "LINE bot"
