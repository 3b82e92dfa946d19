Feature: Sessions (ORCH-2004, ORCH-2005, ORCH-3021, ORCH-3035)

  Background:
    Given the stack is up with a Ready pool

  Scenario: a finished turn creates a session with a TTL
    When I run a turn in session "s1"
    Then session "s1" has 1 turn
    And session "s1" has a TTL of at most 600000 ms

  Scenario: turns accumulate in one session
    When I run a turn in session "s2"
    And I run a turn in session "s2"
    Then session "s2" has 2 turns

  Scenario: a deleted session is gone
    When I run a turn in session "s3"
    And I delete session "s3"
    Then the response status is 204
    And looking up session "s3" answers 404

  Scenario: orchctl shows a session for humans
    When I run a turn in session "s4"
    And I run orchctl session get for session "s4"
    Then orchctl exits with code 0
    And orchctl stdout contains "turns"

  Scenario: a session belongs to the tenant that created it
    When tenant "a" runs a turn in session "s5"
    Then tenant "a" sees session "s5" with 1 turn
    When tenant "b" looks up session "s5"
    Then the response status is 404
    When tenant "b" runs a turn in session "s5"
    Then tenant "b" sees session "s5" with 1 turn
    And tenant "a" sees session "s5" with 1 turn
