@journey
Feature: Journey — observe and debug (ORCH-3028, ORCH-2006, ORCH-2007)
  An on-call engineer sees metrics move with traffic and can see why a request was refused.

  Background:
    Given the stack is up with a Ready pool

  Scenario: metrics move when a task runs
    Given I note the metrics
    When I submit a task
    And I stream the task
    Then the metric "tasks_enqueued_total" increased by at least 1
    And the metric "tasks_started_total" increased by at least 1
    And the metric "tokens_out_total" increased by at least 1

  Scenario: a rejection is visible to the client and in the metrics
    Given I note the metrics
    And the interactive queue is full
    When I run orchctl submit with the prompt "Once upon a time"
    Then orchctl exits with code 6
    And orchctl stderr contains "ADMISSION_REJECT, HTTP 429"
    And orchctl stderr contains "retry in"
    And the metric "tasks_rejected_total" with reason "ADMISSION_REJECT" increased by at least 1
    And the metric "admission_backpressure_events_total" increased by at least 1
