import logging

from django.http import JsonResponse

logger = logging.getLogger("exampleproject")


def index(request):
    # Logged with the request id (rid) of this request, like its request.summary.
    logger.info("Saying hello")
    return JsonResponse({"hello": "world", "request_id": request.request_id})
