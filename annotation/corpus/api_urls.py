"""The corpus stage's API: characters, sources (POST imports a file), conversations, lines."""

from rest_framework.routers import SimpleRouter

from annotation.corpus.api import CharacterViewSet, ConversationViewSet, LineViewSet, SourceViewSet

router = SimpleRouter()
router.register("characters", CharacterViewSet, basename="api-character")
router.register("sources", SourceViewSet, basename="api-source")
router.register("conversations", ConversationViewSet, basename="api-conversation")
router.register("lines", LineViewSet, basename="api-line")
urlpatterns = router.urls
