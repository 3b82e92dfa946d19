Feature: Backpressure on a full queue (ORCH-3004, ORCH-3005, ORCH-2007)

  Background:
    Given the stack is up with a Ready pool

  Scenario: a full interactive queue rejects with retry hints
    Given the interactive queue is full
    When I submit a task
    Then the response status is 429
    And the error code is "ADMISSION_REJECT"
    And the response carries the headers "Retry-After" and "X-Backoff-Ms"
    And the error names its policy and a retry time

  Scenario: admission recovers once the queue has room
    Given the interactive queue is full
    And the queue has room again
    When I submit a task
    Then the response status is 202
