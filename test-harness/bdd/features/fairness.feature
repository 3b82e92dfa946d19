Feature: Fairness bounds (ORCH-3004, ORCH-3029, ORCH-3035, ORCH-3075)

  Background:
    Given the stack is up with a Ready pool

  Scenario: concurrent clients are all served, none starves
    When I submit 4 interactive tasks and stream them all at once
    Then every stream ends with reason "stop" or "length"
    And every started event reports a queue position below 4

  Scenario: admission reports queue positions from the live queue
    When I submit 3 tasks without streaming them
    Then their queue positions are 0, 1 and 2

  # Tenants "a" (weight 3) and "b" (weight 1) have API keys in the BDD stack config; the key's
  # tenant is the task's tenant (ORCH-3035). One slot serves one task at a time, so the order
  # streams open is the dispatch order; WFQ keeps a's count within 1.5 of 8 * 3/4 = 6.
  Scenario: tenants share a saturated pool by their configured weights
    Given tenants "a" with weight 3 and "b" with weight 1 each keep 8 tasks queued
    When 8 tasks have been dispatched
    Then tenant "a" got between 5 and 7 of them
