"""The Python peer of the benchmark: a Lambda function on a custom runtime (a
tiny Runtime API loop), reading the demo workspace with one DynamoDB GetItem
per request. The client is built once, at init, as teams do."""
import http.client
import json
import os

import boto3

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
TABLE = os.environ["PORTAL_TABLE"]
dynamodb = boto3.client("dynamodb")
runtime = http.client.HTTPConnection(API)


def call(method, path, body=None):
    runtime.request(method, path, body=body)
    response = runtime.getresponse()
    return response.headers, response.read()


def handler(_event):
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "WS#demo"}, "sk": {"S": "WORKSPACE"}}).get("Item")
    return {
        "statusCode": 200 if item else 404,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"found": item is not None}),
    }


while True:
    headers, body = call("GET", "/2018-06-01/runtime/invocation/next")
    request_id = headers["lambda-runtime-aws-request-id"]
    try:
        result = json.dumps(handler(json.loads(body)))
        call("POST", f"/2018-06-01/runtime/invocation/{request_id}/response", result)
    except Exception as err:  # the Runtime API reports any failure of the handler
        error = json.dumps({"errorType": type(err).__name__, "errorMessage": str(err)})
        call("POST", f"/2018-06-01/runtime/invocation/{request_id}/error", error)
