Feature: Admission checks before enqueue (ORCH-2001, ORCH-3014, ORCH-3018, ORCH-3024, ORCH-3079)

  Background:
    Given the stack is up with a Ready pool

  Scenario: a valid task is admitted with its queue position
    When I submit a task
    Then the response status is 202
    And the admission response carries queue_position and predicted_start_ms

  Scenario Outline: invalid tasks are refused with a typed error before enqueue
    When I submit a task with <field> set to <value>
    Then the response status is <status>
    And the error code is "<code>"

    Examples:
      | field       | value               | status | code             |
      | ctx         | 1048576             | 400    | INVALID_PARAMS   |
      | model_ref   | "no-such-model"     | 404    | NOT_FOUND        |
      | max_tokens  | 0                   | 400    | INVALID_PARAMS   |
      | deadline_ms | 1                   | 400    | DEADLINE_UNMET   |
      | model_ref   | "standby-model"     | 503    | POOL_UNAVAILABLE |

  Scenario: a duplicate task id is refused
    When I submit a task
    And I submit the same task again
    Then the response status is 400
    And the error code is "INVALID_PARAMS"
