# Every SQLite statement the server runs, in order, with the gdb thread that ran it and each
# compilation (PREPARE): the writer's statements through SQLiteNIO, the readers' through the
# statement cache (compiled once, so they show as STEP only). Reads the SQL from the statement
# itself (Vdbe.zSql) rather than calling into the process, so an interrupt (SIGINT to gdb) detaches
# cleanly. Needs a debug build (the amalgamation's types). Usage, see ../README.md:
#   gdb -q -p <server pid> -batch -x statements.gdb > trace.txt
set pagination off
set print thread-events off
set confirm off
handle SIGPIPE nostop noprint pass
handle SIGUSR1 nostop noprint pass
handle SIGUSR2 nostop noprint pass
break sqlite_nio_sqlite3_step
commands
silent
printf "STEP thread=%d stmt=%p sql=%s\n", $_thread, $rdi, ((Vdbe*)$rdi)->zSql
continue
end
break sqlite_nio_sqlite3_prepare_v3
commands
silent
printf "PREPARE thread=%d flags=%d sql=%.100s\n", $_thread, (int)$rcx, (char*)$rsi
continue
end
echo READY\n
continue
detach
quit
