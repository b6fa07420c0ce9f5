from django.urls import path

from line_bot import views

app_name = "line_bot"
urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    path("simulator/", views.simulator_page, name="simulator"),
    path("simulator/send/", views.simulator_send, name="simulator_send"),
    path("simulator/messages/", views.simulator_messages, name="simulator_messages"),
]
