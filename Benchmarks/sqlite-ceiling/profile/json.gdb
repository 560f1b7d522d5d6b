# Every JSONEncoder.encode and JSONDecoder.decode of the server, with who called it (6 frames),
# and the SQLite statements between them. Usage as statements.gdb (../README.md).
set pagination off
set print thread-events off
set confirm off
handle SIGPIPE nostop noprint pass
break $s20FoundationEssentials11JSONEncoderC6encodeyAA4DataVxKSERzlF
commands
silent
printf "ENCODE thread=%d\n", $_thread
bt 6
continue
end
break $s20FoundationEssentials11JSONDecoderC6decode_4fromxxm_AA4DataVtKSeRzlF
commands
silent
printf "DECODE thread=%d\n", $_thread
bt 6
continue
end
break sqlite_nio_sqlite3_step
commands
silent
printf "STEP %.60s\n", ((Vdbe*)$rdi)->zSql
continue
end
echo READY\n
continue
detach
quit
