# The official openai Python SDK, unchanged, against llama-orch's Envoy (ORCH-3103). Run by
# openai-sdk.test.ts with ORCH_BASE_URL, ORCH_API_KEY, ORCH_TINY_KEY and ORCH_MODEL set; prints one
# JSON line with what it saw. The test asserts; this script only exercises the SDK.
import json
import os

import openai
from openai import OpenAI

base = os.environ["ORCH_BASE_URL"] + "/v1"
model = os.environ["ORCH_MODEL"]
client = OpenAI(base_url=base, api_key=os.environ["ORCH_API_KEY"], max_retries=0, timeout=120)
messages = [
    {"role": "system", "content": "You answer in one short sentence."},
    {"role": "user", "content": "Name a colour."},
]
out = {"sdk": openai.__version__}

raw = client.chat.completions.with_raw_response.create(
    model=model, messages=messages, max_tokens=8, seed=7
)
chat = raw.parse()
out["chat"] = {
    "content": chat.choices[0].message.content,
    "finish_reason": chat.choices[0].finish_reason,
    "usage": chat.usage.model_dump(),
    "fingerprint": chat.system_fingerprint,
    "seed_header": raw.headers.get("x-orch-seed"),
}

pieces = []
usage = None
for chunk in client.chat.completions.create(
    model=model,
    messages=messages,
    max_tokens=8,
    seed=7,
    stream=True,
    stream_options={"include_usage": True},
):
    if chunk.choices and chunk.choices[0].delta.content is not None:
        pieces.append(chunk.choices[0].delta.content)
    if chunk.usage is not None:
        usage = chunk.usage.model_dump()
out["chat_stream"] = {"pieces": pieces, "usage": usage}

done = client.completions.create(
    model=model, prompt="The capital of France is", max_tokens=8, seed=7
)
out["completion"] = {
    "text": done.choices[0].text,
    "finish_reason": done.choices[0].finish_reason,
    "usage": done.usage.model_dump(),
}
text = done.choices[0].text
words = [w for w in text.split(" ") if len(w) >= 2]
stop = " " + words[1] if len(words) > 1 else None
if stop is not None:
    stopped = client.completions.create(
        model=model, prompt="The capital of France is", max_tokens=8, seed=7, stop=[stop]
    )
    out["stop"] = {
        "stop": stop,
        "full": text,
        "text": stopped.choices[0].text,
        "finish_reason": stopped.choices[0].finish_reason,
    }


def status_of(call):
    try:
        call()
        return {"status": 200}
    except openai.APIStatusError as e:
        body = e.body if isinstance(e.body, dict) else {}
        return {
            "status": e.status_code,
            "class": type(e).__name__,
            "code": body.get("code"),
            "param": body.get("param"),
            "retry_after": e.response.headers.get("retry-after"),
        }


bad_key = OpenAI(base_url=base, api_key="not-a-key", max_retries=0)
tiny = OpenAI(base_url=base, api_key=os.environ["ORCH_TINY_KEY"], max_retries=0)
out["errors"] = {
    "unknown_model": status_of(
        lambda: client.chat.completions.create(model="no-such-model", messages=messages)
    ),
    "n2": status_of(
        lambda: client.chat.completions.create(model=model, messages=messages, n=2, max_tokens=4)
    ),
    "bad_key": status_of(lambda: bad_key.chat.completions.create(model=model, messages=messages)),
    "quota": status_of(
        lambda: tiny.chat.completions.create(model=model, messages=messages, max_tokens=64)
    ),
}
out["models"] = [m.model_dump() for m in client.models.list().data]
print(json.dumps(out))
