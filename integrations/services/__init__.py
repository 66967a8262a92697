"""Framework services that connectors and canonical apps call.

inbox      store_inbound_items, process_inbound_event, retry_inbound_event
outbox     enqueue_outbound
delivery   deliver_message, sweep_outbox
leading    apply_inbound_changes, leading_connection
bindings   fingerprint_of, bind, binding_for, find_record, record_pulled, record_pushed
mappings   map_category, map_attribute, map_value, reverse maps, import_mappings_csv
cursors    run_delta_pull
syncruns   start_sync_run, finish_sync_run, record_sync_error, retry_sync_error, resolve_sync_errors
retrychecks register_retry_check (a connector's check before a bulk retry of its error code)
"""
