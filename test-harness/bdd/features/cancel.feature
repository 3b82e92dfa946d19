Feature: Cancel is race-free and idempotent (ORCH-2003, ORCH-3017, ORCH-3026)

  Background:
    Given the stack is up with a Ready pool

  Scenario: cancel is idempotent
    When I submit a task
    And I cancel the task
    Then the response status is 204
    When I cancel the task
    Then the response status is 204

  Scenario: cancel of an unknown task is a typed 404
    When I cancel a task that does not exist
    Then the response status is 404
    And the error code is "NOT_FOUND"

  Scenario: cancel mid-stream ends the stream canceled with no token after it
    When I submit a task with max_tokens set to 200
    And I stream the task and cancel it after the first token
    Then the stream ends with reason "canceled"
    And the token indexes are consecutive from 0
    And the replica frees its slot within 10 seconds
