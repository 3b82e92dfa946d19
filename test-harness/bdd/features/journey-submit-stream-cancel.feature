@journey
Feature: Journey — submit, stream, cancel (ORCH-2001, ORCH-2002, ORCH-2003)
  An ML engineer sends a prompt with orchctl, watches tokens arrive, and can stop a task.

  Background:
    Given the stack is up with a Ready pool

  Scenario: orchctl run streams tokens and a summary line
    When I run orchctl run with the prompt "The capital of France is"
    Then orchctl exits with code 0
    And orchctl printed tokens on stdout
    And orchctl stderr contains "tokens · TTFT"

  Scenario: submit, then stream the task by id
    When I run orchctl submit with the prompt "Once upon a time"
    Then orchctl exits with code 0
    And orchctl printed a task id
    When I run orchctl stream for that task with --json
    Then orchctl exits with code 0
    And every stdout line is a JSON event, the first "started" and the last "end"

  Scenario: Ctrl-C during orchctl run cancels the task on the server
    When I run orchctl run with the prompt "Once upon a time" and press Ctrl-C after the first token
    Then orchctl exits with code 130
    And orchctl stderr contains "canceled task"

  Scenario: cancel a queued task, then its stream ends canceled
    When I submit a task
    And I cancel the task
    Then the response status is 204
    When I stream the task
    Then the stream ends with reason "canceled"
