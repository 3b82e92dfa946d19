@journey
Feature: Journey — scale a pool: Ready, drain, reload (ORCH-2101, ORCH-2102, ORCH-2103)
  An operator checks a pool, drains it for maintenance and brings it back, and reloads it with
  another configured model. Every step is orchctl; the stack has one real llama-server replica.

  Background:
    Given the stack is up with a Ready pool

  Scenario: a pool reports Ready with its replicas
    When I run orchctl pools health for the pool
    Then orchctl exits with code 0
    And orchctl stdout contains "1/1 Ready"

  Scenario: draining a pool stops new admissions; undrain makes it serve again
    When I run orchctl pools drain for the pool with a deadline of 60000 ms
    Then orchctl exits with code 0
    And the pool health reports draining
    When I submit a task
    Then the response status is 503
    When I run orchctl pools undrain for the pool
    Then orchctl exits with code 0
    And the pool becomes Ready again within 60 seconds
    When I run orchctl run with the prompt "The capital of France is"
    Then orchctl exits with code 0
    And orchctl printed tokens on stdout

  # The catalog (models[] of the BDD stack config) lists the stack's GGUF file a second time
  # under another ref, so the reload really relaunches llama-server; the digest stays the same.
  # The scenario reloads back, so the scenarios after it find the pool as it was.
  Scenario: reloading a pool relaunches it with another catalog model, then back
    When I run orchctl pools reload for the pool with model "SmolLM2-135M-Instruct-Q4_1-reloaded"
    Then orchctl exits with code 0
    And orchctl stdout contains "reloading pool default"
    And the pool reload succeeds within 240 seconds
    And the pool serves model "SmolLM2-135M-Instruct-Q4_1-reloaded"
    And the reload kept the model digest
    When I run orchctl run with the prompt "The capital of France is"
    Then orchctl exits with code 0
    And orchctl printed tokens on stdout
    When I run orchctl pools reload for the pool with model "SmolLM2-135M-Instruct-Q4_1"
    Then orchctl exits with code 0
    And the pool reload succeeds within 240 seconds
    And the pool serves model "SmolLM2-135M-Instruct-Q4_1"
