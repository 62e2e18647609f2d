from django.urls import path

from proctoring import consumers

websocket_urlpatterns = [
    path("ws/proctor/<int:session_id>/", consumers.ProctorConsumer.as_asgi()),
    path("ws/exam/<int:session_id>/", consumers.ExamConsumer.as_asgi()),
]
