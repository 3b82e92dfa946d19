Feature: Determinism toggles (ORCH-3045, ORCH-3050, ORCH-3091)

  Background:
    Given the stack is up with a Ready pool

  Scenario: strict determinism with a fixed seed repeats byte for byte
    When I run the prompt "The capital of France is" with seed 42 and determinism "strict" twice
    Then both token streams are byte-identical

  Scenario: best-effort determinism is accepted and streams
    When I run the prompt "Once upon a time" with seed 42 and determinism "best_effort" twice
    Then both streams end with reason "stop" or "length"

  Scenario: an omitted seed is filled by the server
    When I submit a task without a seed
    Then the response status is 202
    When I stream the task
    Then the stream ends with reason "stop" or "length"
