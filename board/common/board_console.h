// The management console on the UART (board_console.c).
#pragma once
/** Draws the login screen. */
void board_console_start(void);
/** Feeds a received byte (and any that follow it at once) to the console; carries out save/restart. */
void board_console_key(int first);
