@journey
Feature: Journey — scale a pool: Ready, drain, reload (ORCH-2101, ORCH-2102, ORCH-2103)
  An operator checks a pool, drains it for maintenance, and reloads it with another model.

  Scenario: a pool reports Ready with its replicas
    Given the stack is up with a Ready pool
    When I run orchctl pools health for the pool
    Then orchctl exits with code 0
    And orchctl stdout contains "1/1 Ready"

  # Drain is served now (covered end to end by test-harness/engine-sim/drain.test.ts), but this
  # scenario drains the shared stack's only pool, which no later scenario could use: it stays
  # @wip until the BDD stack gets a second pool to drain. Reload is not served yet (404).
  @wip
  Scenario: draining a pool stops new admissions and lets running work finish
    Given the stack is up with a Ready pool
    When I drain the pool with a deadline of 60000 ms
    Then the response status is 202
    And the pool health reports draining
    When I submit a task
    Then the response status is 503

  @wip
  Scenario: reloading a pool swaps the model atomically
    Given the stack is up with a Ready pool
    When I reload the pool with model "SmolLM2-135M-Instruct-Q4_1"
    Then the response status is 202
    And the pool becomes Ready again within 120 seconds
