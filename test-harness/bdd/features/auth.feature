Feature: API keys and tenants (ORCH-3035)
  The BDD stack binds loopback with auth optional: a request without a key is tenant "default",
  and a key presented must be one of the configured tenants' keys.

  Background:
    Given the stack is up with a Ready pool

  Scenario: an unknown API key is refused on both paths
    When I submit a task with the API key "not-a-configured-key"
    Then the response status is 403
    And the error code is "FORBIDDEN"
    When tenant "a" submits a task
    And I stream that task with the API key "not-a-configured-key"
    Then the response status is 403
    And the error code is "FORBIDDEN"

  Scenario: a tenant cannot cancel another tenant's task
    When tenant "a" submits a task
    And tenant "b" cancels that task
    Then the response status is 403
    And the error code is "FORBIDDEN"
    When tenant "a" cancels that task
    Then the response status is 204
